"""Pure rules for finding the right learning: theme month keys, reach figures with small-group
suppression, the level ladder of an entrance and the theme archive split."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from lms.catalog.models import Level

T = TypeVar("T")
_YEAR_MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])")
LEVEL_ORDER: tuple[Level, ...] = (Level.GRUND, Level.FORDJUPNING, Level.SPETS)


def parse_year_month(text: str) -> tuple[int, int] | None:
    """`"2026-10"` → (2026, 10); anything else (`"2026-13"`, `"26-10"`, `"2026-1"`) → None."""
    match = _YEAR_MONTH.fullmatch(text)
    if match is None:
        return None
    return int(match["year"]), int(match["month"])


@dataclass(frozen=True)
class Reach:
    """How many of a group have done at least one of the theme's activities.

    `done` and `total` are None when the group is too small to show: with a handful of
    people a figure points at individuals ("the one who hasn't done anything").
    """

    done: int | None
    total: int | None

    @property
    def is_suppressed(self) -> bool:
        return self.total is None

    @property
    def percent(self) -> int:
        """The share as a whole percent (0 when suppressed or empty)."""
        if self.done is None or not self.total:
            return 0
        return round(100 * self.done / self.total)


def reach(done: int, total: int, min_group_size: int) -> Reach:
    """The figure for a group of `total` people, suppressed below `min_group_size`.

    An empty group is always suppressed: "0 av 0" tells nobody anything.
    """
    if total < max(min_group_size, 1):
        return Reach(done=None, total=None)
    return Reach(done=min(done, total), total=total)


@dataclass(frozen=True)
class LevelGroup(Generic[T]):
    """The activities of one level of an entrance, in the order they were given."""

    level: Level
    items: list[T]


def group_by_level(items: Iterable[T], level_of: Callable[[T], str]) -> list[LevelGroup[T]]:
    """Items in the ladder grund → fördjupning → spets, each level present even when empty,
    keeping the given order within a level; an unknown level is left out."""
    groups: dict[str, list[T]] = {level.value: [] for level in LEVEL_ORDER}
    for item in items:
        bucket = groups.get(level_of(item))
        if bucket is not None:
            bucket.append(item)
    return [LevelGroup(level=level, items=groups[level.value]) for level in LEVEL_ORDER]


def split_current_and_archive(
    items: Sequence[T], today: date, month_of: Callable[[T], tuple[int, int]]
) -> tuple[list[T], list[T]]:
    """The items from today's month on (soonest first) and the past ones (newest first), by
    their (year, month); `items` may come in any order, ties keep their given order."""
    this_month = (today.year, today.month)
    coming = sorted((i for i in items if month_of(i) >= this_month), key=month_of)
    past = sorted((i for i in items if month_of(i) < this_month), key=month_of, reverse=True)
    return coming, past
