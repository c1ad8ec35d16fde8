"""Small-group suppression of assessment figures (DESIGN §4), as pure functions over cells.

A figure is a `Cell`: its value and how many people its denominator holds. Rules:

- primary: a group with fewer than `min_size` respondents shows no figure at all; otherwise a
  figure whose denominator holds fewer than `min_size` people is hidden;
- complementary: within a breakdown that partitions the round (departments, job roles) and per
  figure column, the hidden cells must hold at least `min_size` people together, and a column
  never hides exactly one cell; otherwise the smallest shown cells are hidden too. So no hidden
  value can be found by subtracting the shown cells from the round's total;
- a cell with no people (no data) is neither shown nor hidden: it has no value to protect;
- a difference between two rounds is hidden when either side is.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

G = TypeVar("G", bound=Hashable)

# (level, code, figure): ("round", "", "share_with_needs"), ("area", "4", "mean_rating"),
# ("competence", "4.2", "respondents").
FigureKey = tuple[str, str, str]
RESPONDENTS: FigureKey = ("round", "", "respondents")


@dataclass(frozen=True)
class Cell:
    """One figure: its value (None without data), its denominator's people, hidden or not."""

    value: float | None
    people: int
    suppressed: bool = False

    @property
    def shown_value(self) -> float | None:
        """The value as it may be published: None when hidden."""
        return None if self.suppressed else self.value


Figures = dict[FigureKey, Cell]


def _respondents(figures: Mapping[FigureKey, Cell]) -> int:
    cell = figures.get(RESPONDENTS)
    return cell.people if cell is not None else 0


def is_primary(cell: Cell, respondents: int, min_size: int) -> bool:
    """Whether the cell is hidden on its own: too few people in it or in its group."""
    if cell.people <= 0:
        return False
    return cell.people < min_size or respondents < min_size


def suppress_group(figures: Mapping[FigureKey, Cell], min_size: int) -> Figures:
    """A group seen on its own (the whole round, the compared round): primary rule only."""
    respondents = _respondents(figures)
    return {
        key: replace(cell, value=None, suppressed=True)
        if is_primary(cell, respondents, min_size)
        else cell
        for key, cell in figures.items()
    }


def complementary(people: Mapping[G, int], hidden: set[G], min_size: int) -> set[G]:
    """The cells of one column to hide: `hidden` plus the smallest shown ones as needed.

    `people` holds every cell of the column that has people, in a stable order (ties between
    equally small cells go to the earlier one, so equal columns hide the same cells).
    """
    result = set(hidden)
    if not result:
        return result
    order = {key: position for position, key in enumerate(people)}
    shown = sorted(
        (key for key, count in people.items() if key not in result and count > 0),
        key=lambda key: (people[key], order[key]),
    )
    for key in shown:
        if sum(people[k] for k in result) >= min_size and len(result) > 1:
            break
        result.add(key)
    return result


def suppress_breakdown(
    groups: Mapping[G, Mapping[FigureKey, Cell]], min_size: int
) -> dict[G, Figures]:
    """Hide the cells of a breakdown: primary per group, then complementary per column."""
    columns: dict[FigureKey, dict[G, int]] = {}
    hidden: dict[FigureKey, set[G]] = {}
    for group, figures in groups.items():
        respondents = _respondents(figures)
        for key, cell in figures.items():
            if cell.people <= 0:
                continue
            columns.setdefault(key, {})[group] = cell.people
            if is_primary(cell, respondents, min_size):
                hidden.setdefault(key, set()).add(group)
    for key, cells in columns.items():
        hidden[key] = complementary(cells, hidden.get(key, set()), min_size)
    return {
        group: {
            key: replace(cell, value=None, suppressed=True)
            if group in hidden.get(key, ())
            else cell
            for key, cell in figures.items()
        }
        for group, figures in groups.items()
    }


def delta(this: Cell, other: Cell, scale: float) -> Cell:
    """(this − other) × scale, hidden when either side is; None when either has no value.

    Shares use scale 100 (percentage points), the mean rating scale 1 (a plain difference).
    """
    if this.suppressed or other.suppressed:
        return Cell(None, 0, suppressed=True)
    if this.value is None or other.value is None:
        return Cell(None, 0)
    return Cell((this.value - other.value) * scale, min(this.people, other.people))
