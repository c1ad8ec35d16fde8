"""Readable differences between two revisions: changed metadata and a line diff of the body."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

LineKind = Literal["same", "added", "removed", "skipped"]
# The order metadata is shown in; keys not listed here follow alphabetically.
META_ORDER = (
    "title",
    "summary",
    "status",
    "format",
    "level",
    "delivery",
    "minutes",
    "language",
    "repeatable",
    "url",
    "competences",
    "subjects",
    "departments",
    "job_roles",
    "owners",
)


@dataclass(frozen=True)
class MetaChange:
    key: str
    before: str
    after: str


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind
    text: str
    old_number: int | None = None
    new_number: int | None = None


def show_value(value: Any) -> str:
    """A metadata value as one line of text ("–" for nothing)."""
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {show_value(weight)}" for key, weight in sorted(value.items()))
    if isinstance(value, list | tuple):
        return ", ".join(show_value(item) for item in value)
    return str(value)


def meta_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[MetaChange]:
    """The metadata keys whose values differ, in display order."""
    keys = [k for k in META_ORDER if k in before or k in after]
    keys += sorted((set(before) | set(after)) - set(META_ORDER))
    return [
        MetaChange(key, show_value(before.get(key)), show_value(after.get(key)))
        for key in keys
        if before.get(key) != after.get(key)
    ]


Opcode = tuple[str, int, int, int, int]


def _group_lines(group: list[Opcode], old: list[str], new: list[str]) -> list[DiffLine]:
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            lines += [DiffLine("same", old[i], i + 1, j1 + i - i1 + 1) for i in range(i1, i2)]
            continue
        lines += [DiffLine("removed", old[i], old_number=i + 1) for i in range(i1, i2)]
        lines += [DiffLine("added", new[j], new_number=j + 1) for j in range(j1, j2)]
    return lines


def body_diff(before: str, after: str, context: int = 3) -> list[DiffLine]:
    """A line diff: changed lines with `context` unchanged lines around them, the rest skipped.

    A "skipped" line's text is the number of unchanged lines left out at that place.
    """
    old, new = before.splitlines(), after.splitlines()
    if old == new:
        return []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    lines: list[DiffLine] = []
    shown_up_to = 0  # lines of `old` shown or skipped so far
    for group in matcher.get_grouped_opcodes(context):
        if group[0][1] > shown_up_to:
            lines.append(DiffLine("skipped", str(group[0][1] - shown_up_to)))
        lines += _group_lines(group, old, new)
        shown_up_to = group[-1][2]
    if len(old) > shown_up_to:
        lines.append(DiffLine("skipped", str(len(old) - shown_up_to)))
    return lines
