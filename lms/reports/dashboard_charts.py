"""Geometry of the dashboard's line charts as pure functions: cumulative series, a readable
value scale, month ticks and the polyline points in SVG user units. No Flask, no database:
numbers and dates in, numbers out (the display module adds the words)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 400, 250
STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)  # a tick step is one of these times a power of ten
MONTHS_PER_LABEL = (1, 2, 3, 6, 12)  # calendar-aligned label intervals, the smallest that fits


@dataclass(frozen=True)
class Box:
    """The plot area inside the SVG: left/right x and top/bottom y in user units."""

    left: float = 60
    top: float = 14
    right: float = WIDTH - 16
    bottom: float = HEIGHT - 46

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Scale:
    """The value axis: 0 to `top` in `step`s (every step gets a gridline and a label)."""

    top: float
    step: float

    @property
    def ticks(self) -> list[float]:
        count = round(self.top / self.step)
        return [self.step * i for i in range(count + 1)]


@dataclass(frozen=True)
class Geometry:
    """Where everything of one line chart goes (SVG user units, y grows downwards).

    `actual` is the cumulative series up to today; `target` the straight line from 0 at the
    start of the period to the target at its end (None without a target); `labelled_months`
    the month starts that get a label, `month_marks` every month start in the period.
    """

    box: Box
    scale: Scale
    y_ticks: list[tuple[float, float]]  # (value, y)
    labelled_months: list[tuple[date, float]]  # (first day of the month, x)
    month_marks: list[float]
    actual: list[tuple[float, float]]
    target: tuple[tuple[float, float], tuple[float, float]] | None
    today_x: float | None


EMPTY_SCALE = Scale(top=4.0, step=1.0)


def cumulative(values: Sequence[float]) -> list[float]:
    """Running totals: [2, 0, 3] → [2, 2, 5]."""
    totals, running = [], 0.0
    for value in values:
        running += value
        totals.append(running)
    return totals


def nice_scale(maximum: float, *, ticks: int = 5, whole: bool = False) -> Scale:
    """A scale from 0 that holds `maximum` in at most `ticks` round steps (1, 2, 2.5 or 5 times
    a power of ten; whole numbers only when `whole`). Nothing to show gives 0–4."""
    if maximum <= 0:
        return EMPTY_SCALE
    raw = maximum / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in STEPS if m * power >= raw * (1 - 1e-9))
    if whole:
        step = max(1.0, float(math.ceil(step)))
    return Scale(top=step * math.ceil(maximum / step - 1e-9), step=step)


def month_starts(start: date, end: date) -> list[date]:
    """The first day of each month from `start`'s month to `end`'s."""
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = _next_month(current)
    return months


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of `month`'s month."""
    return _next_month(month) - timedelta(days=1)


def months_per_label(month_count: int, max_labels: int = 6) -> int:
    """Label every n-th month so that at most `max_labels` labels fit (1, 2, 3, 6 or 12)."""
    return next((n for n in MONTHS_PER_LABEL if math.ceil(month_count / n) <= max_labels), 12)


def x_of(day: date, start: date, end: date, box: Box) -> float:
    """Where a moment falls on the period axis: `start` 00:00 at the left edge, the end of
    `end` (the next day 00:00) at the right edge; outside the period it is clamped."""
    span = (end - start).days + 1
    fraction = min(max((day - start).days / span, 0.0), 1.0)
    return box.left + box.width * fraction


def y_of(value: float, scale: Scale, box: Box) -> float:
    return box.bottom - box.height * min(max(value / scale.top, 0.0), 1.0)


def actual_points(
    months: Sequence[date],
    totals: Sequence[float],
    *,
    start: date,
    end: date,
    today: date,
    scale: Scale,
    box: Box,
) -> list[tuple[float, float]]:
    """The cumulative line: 0 at the start, then each month's total at the end of that month;
    the month of today ends at today, and later months are not drawn (nothing happened yet)."""
    if today < start:
        return []
    points = [(x_of(start, start, end, box), y_of(0, scale, box))]
    for month, total in zip(months, totals, strict=True):
        if month > today:
            break
        until = min(_next_month(month), end + timedelta(days=1), today + timedelta(days=1))
        points.append((x_of(until, start, end, box), y_of(total, scale, box)))
    return points


def target_line(
    target: float | None, *, start: date, end: date, scale: Scale, box: Box
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """From 0 at the start of the period to the target at its end; None without a target."""
    if target is None:
        return None
    return (
        (x_of(start, start, end, box), y_of(0, scale, box)),
        (x_of(end + timedelta(days=1), start, end, box), y_of(target, scale, box)),
    )


def target_by(day: date, target: float | None, start: date, end: date) -> float | None:
    """The target line's value at the end of `day` (what the table lists beside the totals)."""
    if target is None:
        return None
    span = (end - start).days + 1
    return target * min(max(((day - start).days + 1) / span, 0.0), 1.0)


def geometry(
    monthly: Sequence[float],
    target: float | None,
    *,
    start: date,
    end: date,
    today: date,
    whole: bool = False,
    box: Box | None = None,
) -> Geometry:
    """Everything a line chart of `monthly` values (one per month of the period, cumulated
    here) against a target line needs to be drawn."""
    box = box or Box()
    months = month_starts(start, end)
    if len(monthly) != len(months):
        raise ValueError(f"{len(monthly)} values for {len(months)} months")
    totals = cumulative(monthly)
    scale = nice_scale(max([*totals, target or 0.0]), whole=whole)
    every = months_per_label(len(months))
    inside = [m for m in months if m >= start]
    return Geometry(
        box=box,
        scale=scale,
        y_ticks=[(value, y_of(value, scale, box)) for value in scale.ticks],
        labelled_months=[
            (m, x_of(m, start, end, box)) for m in inside if (m.month - 1) % every == 0
        ],
        month_marks=[x_of(m, start, end, box) for m in inside],
        actual=actual_points(
            months, totals, start=start, end=end, today=today, scale=scale, box=box
        ),
        target=target_line(target, start=start, end=end, scale=scale, box=box),
        today_x=x_of(today + timedelta(days=1), start, end, box) if start <= today <= end else None,
    )


def polyline(points: Sequence[tuple[float, float]]) -> str:
    """SVG `points`: "52,206 60.5,180.2" (one decimal is finer than a pixel)."""
    return " ".join(f"{_short(x)},{_short(y)}" for x, y in points)


def _short(number: float) -> str:
    return f"{round(number, 1):g}"
