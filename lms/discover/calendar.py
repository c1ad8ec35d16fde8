"""The calendar of sessions: Stockholm date maths (pure) and the one query the page needs.

Dates, weeks and months are Europe/Stockholm (weeks start on Monday, ISO week numbers as
Swedes use them); session times are stored in UTC, so a period's bounds are the UTC
instants of its first and last local midnights, and a session belongs to the local day
it starts on, whatever the daylight-saving shift.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session, contains_eager

from lms.catalog.models import Activity, ActivitySession, Status, activity_subjects
from lms.catalog.queries import for_department
from lms.core.time import local_date, start_of_local_day
from lms.framework.models import Subject
from lms.progress.booking_queries import count_booked

# Dates far outside this range are typing errors, and stepping past date.max would crash.
EARLIEST = date(2000, 1, 1)
LATEST = date(2199, 12, 1)
ONE_DAY = timedelta(days=1)
ONE_WEEK = timedelta(days=7)


class View(enum.StrEnum):
    """How the calendar shows its period (the values are the `vy` URL argument)."""

    MONTH = "manad"
    WEEK = "vecka"
    LIST = "lista"


# --- pure date maths -------------------------------------------------------------------------


def parse_view(text: str | None) -> View:
    """The view asked for; the month for anything else."""
    try:
        return View(text or View.MONTH)
    except ValueError:
        return View.MONTH


def parse_day(text: str | None, today: date) -> date:
    """The ISO date asked for (`2026-12-01`); today when it is missing, malformed or absurd."""
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return today
    return day if EARLIEST <= day <= LATEST else today


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` away from `day`'s month (negative goes back)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_of_month(day: date) -> date:
    return add_months(day, 1) - ONE_DAY


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def iso_week(day: date) -> tuple[int, int]:
    """(ISO year, ISO week): 2026-12-31 is week 53 of 2026, 2027-01-04 week 1 of 2027."""
    year, week, _weekday = day.isocalendar()
    return year, week


def days_between(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def month_grid(day: date) -> list[list[date]]:
    """The weeks (Monday first) that cover `day`'s month, seven dates each, including the
    days of the neighbouring months that fill the first and last week."""
    start = monday_of(first_of_month(day))
    end = monday_of(last_of_month(day)) + timedelta(days=6)
    dates = days_between(start, end)
    return [dates[n : n + 7] for n in range(0, len(dates), 7)]


@dataclass(frozen=True)
class Period:
    """The dates a view shows and where the previous/next buttons lead."""

    view: View
    anchor: date  # the date asked for: switching views keeps it
    first: date
    last: date  # included
    previous: date
    next: date

    @property
    def starts_at(self) -> datetime:
        """The first local midnight, in UTC."""
        return start_of_local_day(self.first)

    @property
    def ends_at(self) -> datetime:
        """The local midnight after the last day, in UTC (excluded)."""
        return start_of_local_day(self.last + ONE_DAY)

    @property
    def days(self) -> list[date]:
        return days_between(self.first, self.last)

    @property
    def week(self) -> tuple[int, int]:
        return iso_week(self.first)


def period_of(view: View, day: date) -> Period:
    """The week (Monday–Sunday) or the month around `day`. The list runs from `day` to the
    end of its month, so "today" lists what is left of this month; its previous and next
    are whole months."""
    if view is View.WEEK:
        monday = monday_of(day)
        sunday = monday + timedelta(days=6)
        return Period(view, day, monday, sunday, monday - ONE_WEEK, monday + ONE_WEEK)
    first = day if view is View.LIST else first_of_month(day)
    return Period(view, day, first, last_of_month(day), add_months(day, -1), add_months(day, 1))


# --- the sessions shown ----------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarFilter:
    """The calendar's filters, all optional (the department as the catalogue means it)."""

    by_department: bool = False  # then only activities for everyone or for `department_id`
    department_id: int | None = None
    subject: str | None = None  # subject slug
    format: str | None = None


@dataclass(frozen=True)
class CalendarEntry:
    """One session as the calendar shows it."""

    session: ActivitySession
    free_seats: int

    @property
    def activity(self) -> Activity:
        return self.session.activity

    @property
    def is_full(self) -> bool:
        return self.free_seats <= 0


@dataclass(frozen=True)
class CalendarDay:
    day: date
    entries: list[CalendarEntry]
    is_today: bool
    in_period: bool  # false for the neighbouring months' days in a month grid


def _has_subject(slug: str) -> ColumnElement[bool]:
    links = activity_subjects.c
    return exists(
        select(links.activity_id)
        .join(Subject, Subject.id == links.subject_id)
        .where(links.activity_id == Activity.id, Subject.slug == slug)
    )


def published_sessions() -> Select[ActivitySession]:
    """Sessions of published activities with their activity, in time order (cancelled too)."""
    return (
        select(ActivitySession)
        .join(ActivitySession.activity)
        .where(Activity.status == Status.PUBLISHED)
        .options(contains_eager(ActivitySession.activity))
        .order_by(ActivitySession.starts_at, Activity.title, ActivitySession.id)
    )


def list_calendar_entries(
    session: Session, starts_at: datetime, ends_at: datetime, filters: CalendarFilter
) -> list[CalendarEntry]:
    """The sessions of published activities starting in [starts_at, ends_at), not cancelled,
    in time order, with their free seats: two queries however many there are."""
    stmt = published_sessions().where(
        ActivitySession.is_cancelled.is_(False),
        ActivitySession.starts_at >= starts_at,
        ActivitySession.starts_at < ends_at,
    )
    if filters.by_department:
        stmt = stmt.where(for_department(filters.department_id))
    if filters.subject:
        stmt = stmt.where(_has_subject(filters.subject))
    if filters.format:
        stmt = stmt.where(Activity.format == filters.format)
    sessions = list(session.scalars(stmt))
    booked = count_booked(session, [s.id for s in sessions]) if sessions else {}
    return [CalendarEntry(s, max(s.capacity - booked.get(s.id, 0), 0)) for s in sessions]


def group_by_day(entries: Iterable[CalendarEntry]) -> dict[date, list[CalendarEntry]]:
    """Entries by the Stockholm date their session starts on, in their given order."""
    days: dict[date, list[CalendarEntry]] = {}
    for entry in entries:
        days.setdefault(local_date(entry.session.starts_at), []).append(entry)
    return days


@dataclass(frozen=True)
class CalendarPage:
    """What the three views render: the month grid's weeks, the period's days, busy days."""

    period: Period
    weeks: list[tuple[int, list[CalendarDay]]]  # (ISO week number, Monday–Sunday)
    days: list[CalendarDay]
    count: int

    @property
    def busy_days(self) -> list[CalendarDay]:
        return [d for d in self.days if d.entries]


def build_page(period: Period, entries: Sequence[CalendarEntry], today: date) -> CalendarPage:
    """Arrange the period's entries for the views (pure: no database)."""
    by_day = group_by_day(entries)

    def day_of(day: date) -> CalendarDay:
        inside = period.first <= day <= period.last
        return CalendarDay(day, by_day.get(day, []) if inside else [], day == today, inside)

    weeks = [(iso_week(week[0])[1], [day_of(d) for d in week]) for week in month_grid(period.first)]
    return CalendarPage(
        period=period,
        weeks=weeks,
        days=[day_of(d) for d in period.days],
        count=len(entries),
    )
