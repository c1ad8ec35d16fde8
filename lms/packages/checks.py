"""Typed access to the YAML of a package file, each problem reported at its line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from lms.packages.frontmatter import Path_, YamlDocument

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Keys = Mapping[str, bool]  # allowed key → required


class Sink:
    """The problems of one file, as (line, reason)."""

    def __init__(self, relpath: str, document: YamlDocument) -> None:
        self.relpath = relpath
        self.document = document
        self.problems: list[tuple[int, str]] = list(document.errors)

    def add(self, path: Path_, reason: str) -> None:
        self.problems.append((self.document.line(*path), reason))

    def add_line(self, line: int, reason: str) -> None:
        self.problems.append((line, reason))

    def formatted(self) -> list[str]:
        ordered = sorted(self.problems, key=lambda problem: problem[0])  # stable within a line
        return [f"{self.relpath}:{line}: {reason}" for line, reason in ordered]


class Fields:
    """One YAML mapping: unknown and missing keys are reported, values read by type."""

    def __init__(self, sink: Sink, value: Any, path: Path_, what: str, keys: Keys) -> None:
        self.sink, self.path, self.what = sink, path, what
        self.values: dict[str, Any] = {}
        if not isinstance(value, dict):
            sink.add(path, f"{what} must be a mapping of keys to values")
            return
        self.values = {str(key): item for key, item in value.items()}
        allowed = ", ".join(keys)
        for key in self.values:
            if key not in keys:
                sink.add((*path, key), f"unknown key {key!r} in {what} (allowed: {allowed})")
        for key, required in keys.items():
            if required and self.values.get(key) is None:
                sink.add(path, f"{what} needs a value for {key!r}")

    def at(self, key: str) -> Path_:
        return (*self.path, key)

    def raw(self, key: str) -> Any:
        return self.values.get(key)

    def text(self, key: str, *, max_length: int | None = None) -> str:
        """A string value ("" when absent); numbers and dates are taken as written."""
        value = self.values.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float | date):
            self.sink.add(self.at(key), f"{key!r} must be text")
            return ""
        text = value.isoformat() if isinstance(value, date) else str(value)
        if max_length is not None and len(text) > max_length:
            self.sink.add(self.at(key), f"{key!r} is longer than {max_length} characters")
        return text

    def whole(self, key: str, *, minimum: int = 1, maximum: int | None = None) -> int | None:
        """A whole number within the bounds, or None when absent or invalid."""
        value = self.values.get(key)
        if value is None:
            return None
        too_big = maximum is not None and isinstance(value, int) and value > maximum
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or too_big:
            bounds = f"{minimum}–{maximum}" if maximum is not None else f"≥ {minimum}"
            self.sink.add(self.at(key), f"{key!r} must be a whole number {bounds}, not {value!r}")
            return None
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.values.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.sink.add(self.at(key), f"{key!r} must be true or false, not {value!r}")
            return default
        return value

    def date(self, key: str, what: str = "a date") -> date | None:
        """A date written YYYY-MM-DD (None when absent or wrong; wrong is reported)."""
        value: Any = self.values.get(key)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and _DATE_RE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.sink.add(self.at(key), f"{key!r} must be {what} YYYY-MM-DD, not {value!r}")
        return None

    def names(self, key: str) -> list[str]:
        """A list of plain values as strings (slugs, names, e-mails)."""
        value = self.values.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.sink.add(self.at(key), f"{key!r} must be a list, e.g. [a, b]")
            return []
        names: list[str] = []
        for index, item in enumerate(value):
            if item is None or isinstance(item, bool | list | dict):
                self.sink.add((*self.at(key), index), f"{key!r} must hold plain values")
            elif str(item).strip() not in names:
                names.append(str(item).strip())
        return names

    def items(self, key: str) -> list[Any]:
        """A list of anything (each item checked by the caller)."""
        value = self.values.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.sink.add(self.at(key), f"{key!r} must be a list")
            return []
        return value

    def mapping(self, key: str) -> dict[Any, Any]:
        value = self.values.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.sink.add(self.at(key), f"{key!r} must be a mapping, e.g. {{a: 1}}")
            return {}
        return value
