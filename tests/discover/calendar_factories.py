"""Calendar and feed test objects: sessions at Stockholm times, theme months, bulk inserts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.catalog.models import (
    Activity,
    ActivitySession,
    ThemeMonth,
    ThemeMonthActivity,
    ThemeStatus,
)
from lms.catalog.schedule import sync_seats
from lms.core.time import STOCKHOLM, utcnow
from lms.progress import bookings
from tests import factories
from tests.catalog import factories as cf

_seq = count(1)


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A Stockholm wall-clock time as aware UTC (what the database stores)."""
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM).astimezone(UTC)


def workshop(
    session: Session,
    *,
    title: str | None = None,
    status: str = "published",
    format: str = "workshop",
    departments: Sequence[Department] = (),
    subjects: Sequence[str] = (),
) -> Activity:
    n = next(_seq)
    return cf.activity(
        session,
        title=title or f"Workshop {n}",
        slug=f"kalender-{n}",
        summary="Vi övar tillsammans.",
        format=format,
        delivery="physical",
        minutes=90,
        status=status,
        departments=departments,
        subjects=subjects,
    )


def occurrence(
    session: Session,
    activity: Activity,
    starts_at: datetime,
    *,
    minutes: int = 90,
    capacity: int = 20,
    cancelled: bool = False,
    place: str = "Stadsbiblioteket, sal 2",
    online_url: str | None = None,
) -> ActivitySession:
    """A session with its seats (so it can be booked)."""
    created = cf.session_of(
        session,
        activity,
        starts_at=starts_at,
        minutes=minutes,
        capacity=capacity,
        cancelled=cancelled,
        place=place,
        online_url=online_url,
    )
    sync_seats(session, created)
    return created


def book(session: Session, activity_session: ActivitySession, people: int) -> list[User]:
    """`people` new people booked on the session (booked before it starts)."""
    before = activity_session.starts_at - timedelta(days=1)
    booked = [factories.user(session, password=None) for _ in range(people)]
    for person in booked:
        bookings.book_session(session, person, activity_session, now=before)
    return booked


def theme_month(
    session: Session,
    *,
    year: int,
    month: int,
    title: str = "Informationssäkerhet",
    status: str = ThemeStatus.PUBLISHED,
    activities: Sequence[Activity] = (),
) -> ThemeMonth:
    n = next(_seq)
    created = ThemeMonth(
        year=year,
        month=month,
        slug=f"tema-{n}",
        title=title,
        intro="",
        intro_html="",
        status=status,
        publish_on=utcnow().date() if status == ThemeStatus.SCHEDULED else None,
        published_at=utcnow() if status == ThemeStatus.PUBLISHED else None,
    )
    created.activity_links = [
        ThemeMonthActivity(activity_id=a.id, position=p) for p, a in enumerate(activities)
    ]
    session.add(created)
    session.flush()
    return created


def bulk_sessions(
    session: Session, start: int, stop: int, starts: Sequence[datetime], prefix: str = "massa"
) -> list[int]:
    """Published workshops numbered start..stop-1 with one session each, the n-th at
    `starts[n % len(starts)]`, added with session.add_all (no per-row services)."""
    now = utcnow()
    activities = [
        Activity(
            slug=f"{prefix}-{n:05d}",
            title=f"Workshop i digital kompetens {n}",
            summary="En workshop.",
            body="",
            body_html="",
            quiz=[],
            format="workshop",
            level="grund",
            delivery="physical",
            minutes=60,
            status="published",
            language="sv",
            published_at=now,
        )
        for n in range(start, stop)
    ]
    session.add_all(activities)
    session.flush()
    session.add_all(
        ActivitySession(
            activity_id=a.id,
            starts_at=starts[n % len(starts)],
            ends_at=starts[n % len(starts)] + timedelta(hours=1),
            place="Sal 2",
            capacity=20,
        )
        for n, a in enumerate(activities)
    )
    session.flush()
    return [a.id for a in activities]


def curate(session: Session, theme: ThemeMonth, activity_ids: Sequence[int]) -> None:
    """Add many activities to a theme month at once."""
    start = len(theme.activity_links)
    session.add_all(
        ThemeMonthActivity(theme_month_id=theme.id, activity_id=i, position=start + n)
        for n, i in enumerate(activity_ids)
    )
    session.flush()


def session_ids(session: Session, activity_ids: Sequence[int]) -> list[int]:
    return list(
        session.scalars(
            select(ActivitySession.id).where(ActivitySession.activity_id.in_(activity_ids))
        )
    )
