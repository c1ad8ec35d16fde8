"""The pure rules: theme month keys, small-group suppression, the level ladder, the archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from lms.catalog.models import Level
from lms.discover.rules import (
    group_by_level,
    parse_year_month,
    reach,
    split_current_and_archive,
)

MIN = 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10", (2026, 10)),
        ("2026-01", (2026, 1)),
        ("2026-12", (2026, 12)),
        ("2026-13", None),
        ("2026-00", None),
        ("2026-1", None),
        ("26-10", None),
        ("2026-10-01", None),
        ("2026_10", None),
        ("oktober", None),
        ("", None),
        ("２０２６-10", None),  # full-width digits are digits to \d, not to us
    ],
)
def test_parse_year_month_accepts_only_four_digit_year_and_two_digit_month(
    text: str, expected: tuple[int, int] | None
) -> None:
    assert parse_year_month(text) == expected


def test_a_group_one_below_the_minimum_is_suppressed() -> None:
    figure = reach(done=2, total=MIN - 1, min_group_size=MIN)
    assert figure.is_suppressed and figure.done is None and figure.total is None


def test_a_group_of_exactly_the_minimum_is_shown() -> None:
    figure = reach(done=2, total=MIN, min_group_size=MIN)
    assert not figure.is_suppressed and (figure.done, figure.total) == (2, MIN)
    assert figure.percent == 40


def test_a_group_one_above_the_minimum_is_shown() -> None:
    figure = reach(done=0, total=MIN + 1, min_group_size=MIN)
    assert (figure.done, figure.total, figure.percent) == (0, MIN + 1, 0)


def test_an_empty_group_is_suppressed_even_without_a_minimum() -> None:
    assert reach(done=0, total=0, min_group_size=MIN).is_suppressed
    assert reach(done=0, total=0, min_group_size=0).is_suppressed
    assert not reach(done=1, total=1, min_group_size=0).is_suppressed


def test_suppression_does_not_depend_on_how_many_have_done_it() -> None:
    # Everyone or no one in a small group: both would single people out.
    assert reach(done=MIN - 1, total=MIN - 1, min_group_size=MIN).is_suppressed
    assert reach(done=0, total=MIN - 1, min_group_size=MIN).is_suppressed


def test_done_never_exceeds_the_group() -> None:
    assert reach(done=9, total=6, min_group_size=MIN).done == 6


@dataclass
class Item:
    name: str
    level: str


def test_levels_come_in_ladder_order_with_empty_levels_kept() -> None:
    items = [
        Item("c", "spets"),
        Item("a", "grund"),
        Item("x", "okänd"),
        Item("b", "grund"),
        Item("d", "spets"),
    ]
    groups = group_by_level(items, lambda i: i.level)
    assert [g.level for g in groups] == [Level.GRUND, Level.FORDJUPNING, Level.SPETS]
    assert [[i.name for i in g.items] for g in groups] == [["a", "b"], [], ["c", "d"]]


@dataclass
class Month:
    year: int
    month: int
    name: str


def test_split_puts_this_and_coming_months_first_and_the_past_newest_first() -> None:
    themes = [
        Month(2026, 9, "sep"),
        Month(2025, 12, "dec"),
        Month(2026, 12, "dec26"),
        Month(2026, 10, "okt"),
        Month(2026, 3, "mar"),
    ]
    coming, past = split_current_and_archive(
        themes, date(2026, 10, 31), month_of=lambda m: (m.year, m.month)
    )
    assert [m.name for m in coming] == ["okt", "dec26"]
    assert [m.name for m in past] == ["sep", "mar", "dec"]


def test_split_on_the_first_of_the_month_counts_the_month_as_current() -> None:
    coming, past = split_current_and_archive(
        [Month(2026, 10, "okt"), Month(2026, 9, "sep")],
        date(2026, 10, 1),
        month_of=lambda m: (m.year, m.month),
    )
    assert [m.name for m in coming] == ["okt"] and [m.name for m in past] == ["sep"]
