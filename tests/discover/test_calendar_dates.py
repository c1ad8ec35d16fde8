"""The calendar's date maths: Monday-first month grids, ISO weeks, periods, Stockholm days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms.catalog.models import ActivitySession
from lms.discover.calendar import (
    CalendarEntry,
    View,
    add_months,
    build_page,
    group_by_day,
    iso_week,
    month_grid,
    parse_day,
    parse_view,
    period_of,
)
from tests.discover.calendar_factories import local

TODAY = date(2026, 11, 21)


def test_month_grid_starts_on_monday_and_covers_the_month_in_whole_weeks() -> None:
    weeks = month_grid(date(2026, 12, 17))
    assert all(len(week) == 7 for week in weeks)
    assert all(week[0].weekday() == 0 for week in weeks)
    assert weeks[0][0] == date(2026, 11, 30)  # 1 December 2026 is a Tuesday
    assert weeks[-1][-1] == date(2027, 1, 3)
    days = [d for week in weeks for d in week]
    assert [d for d in days if d.month == 12] == [date(2026, 12, n) for n in range(1, 32)]


def test_month_grid_of_a_month_starting_on_monday_has_no_leading_days() -> None:
    weeks = month_grid(date(2021, 2, 1))  # February 2021: Monday 1st to Sunday 28th
    assert len(weeks) == 4
    assert (weeks[0][0], weeks[-1][-1]) == (date(2021, 2, 1), date(2021, 2, 28))


def test_month_grid_of_a_long_month_has_six_weeks() -> None:
    assert len(month_grid(date(2026, 8, 1))) == 6  # Saturday the 1st, 31 days


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 28), (2026, 53)),
        (date(2027, 1, 3), (2026, 53)),
        (date(2027, 1, 4), (2027, 1)),
        (date(2024, 12, 30), (2025, 1)),
        (date(2021, 1, 3), (2020, 53)),
    ],
)
def test_iso_weeks_cross_the_year_boundary(day: date, expected: tuple[int, int]) -> None:
    assert iso_week(day) == expected


def test_add_months_crosses_years_both_ways() -> None:
    assert add_months(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert add_months(date(2027, 1, 15), -1) == date(2026, 12, 1)
    assert add_months(date(2026, 3, 31), -13) == date(2025, 2, 1)


def test_month_period_navigates_across_the_year() -> None:
    december = period_of(View.MONTH, date(2026, 12, 17))
    assert (december.first, december.last) == (date(2026, 12, 1), date(2026, 12, 31))
    assert (december.previous, december.next) == (date(2026, 11, 1), date(2027, 1, 1))
    assert period_of(View.MONTH, december.next).previous == date(2026, 12, 1)


def test_week_period_is_monday_to_sunday_across_new_year() -> None:
    week = period_of(View.WEEK, date(2026, 12, 31))
    assert (week.first, week.last) == (date(2026, 12, 28), date(2027, 1, 3))
    assert week.week == (2026, 53)
    following = period_of(View.WEEK, week.next)
    assert (following.first, following.week) == (date(2027, 1, 4), (2027, 1))
    assert period_of(View.WEEK, following.previous).first == date(2026, 12, 28)


def test_list_period_runs_from_the_day_to_the_end_of_its_month() -> None:
    rest = period_of(View.LIST, TODAY)
    assert (rest.first, rest.last, rest.anchor) == (TODAY, date(2026, 11, 30), TODAY)
    assert (rest.previous, rest.next) == (date(2026, 10, 1), date(2026, 12, 1))


def test_period_bounds_are_stockholm_midnights_in_utc() -> None:
    october = period_of(View.MONTH, date(2026, 10, 1))
    assert october.starts_at == local(2026, 10, 1, 0)  # CEST: 30 September 22:00 UTC
    assert october.starts_at.hour == 22
    assert october.ends_at == local(2026, 11, 1, 0)  # CET: 31 October 23:00 UTC
    assert october.ends_at.hour == 23


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("", TODAY),
        (None, TODAY),
        ("2026-13-01", TODAY),
        ("igår", TODAY),
        ("9999-12-31", TODAY),  # stepping a month past it would crash
        ("0001-01-01", TODAY),
    ],
)
def test_parse_day_falls_back_to_today(text: str | None, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


def test_parse_view_defaults_to_the_month() -> None:
    assert [parse_view(v) for v in ("vecka", "lista", "manad", "", None, "år")] == [
        View.WEEK,
        View.LIST,
        View.MONTH,
        View.MONTH,
        View.MONTH,
        View.MONTH,
    ]


def _entry(starts_at_utc: object) -> CalendarEntry:
    start = starts_at_utc
    assert hasattr(start, "tzinfo")
    return CalendarEntry(
        ActivitySession(starts_at=start, ends_at=start + timedelta(hours=1), capacity=5), 5
    )


def test_sessions_at_half_past_midnight_on_dst_sundays_belong_to_that_sunday() -> None:
    spring = _entry(local(2026, 3, 29, 0, 30))  # last Sunday of March: 28 March 23:30 UTC
    autumn = _entry(local(2026, 10, 25, 0, 30))  # last Sunday of October: 24 October 22:30 UTC
    assert spring.session.starts_at.day == 28 and autumn.session.starts_at.day == 24
    days = group_by_day([spring, autumn])
    assert days == {date(2026, 3, 29): [spring], date(2026, 10, 25): [autumn]}


def test_build_page_puts_entries_on_their_days_and_marks_today() -> None:
    period = period_of(View.MONTH, date(2026, 12, 1))
    first, late = _entry(local(2026, 12, 1, 9)), _entry(local(2026, 12, 31, 23, 30))
    page = build_page(period, [first, late], today=date(2026, 12, 31))
    assert page.count == 2
    assert [d.day for d in page.busy_days] == [date(2026, 12, 1), date(2026, 12, 31)]
    assert [d.day for d in page.days if d.is_today] == [date(2026, 12, 31)]
    assert [number for number, _days in page.weeks] == [49, 50, 51, 52, 53]
    outside = [d for _n, days in page.weeks for d in days if not d.in_period]
    assert [d.day for d in outside] == [date(2026, 11, 30), date(2027, 1, 1), date(2027, 1, 2),
                                         date(2027, 1, 3)]  # fmt: skip
    assert all(not d.entries for d in outside)
