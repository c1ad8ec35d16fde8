"""Start page test data: theme months, bookings, enrolments and many activities, quickly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from itertools import count

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.catalog.models import (
    Activity,
    ActivitySession,
    Lesson,
    SavedActivity,
    ThemeMonth,
    activity_departments,
)
from lms.catalog.schedule import sync_seats
from lms.core.time import utcnow
from lms.progress.models import Booking, Enrolment

_seq = count(1)


def month_after(day: date, months: int = 1) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def theme(
    session: Session,
    *,
    year: int,
    month: int,
    title: str = "Informationssäkerhet",
    intro: str = "Hela oktober handlar om hur vi skyddar information i vardagen.",
    status: str = "published",
    departments: Sequence[Department] = (),
) -> ThemeMonth:
    n = next(_seq)
    created = ThemeMonth(
        year=year,
        month=month,
        slug=f"tema-{n}",
        title=title,
        intro=intro,
        intro_html=f"<p>{intro}</p>",
        status=status,
        publish_on=date(year, month, 1) if status == "scheduled" else None,
        published_at=utcnow() if status == "published" else None,
        departments=list(departments),
    )
    session.add(created)
    session.flush()
    return created


def book(
    session: Session, user: User, occurrence: ActivitySession, status: str = "booked"
) -> Booking:
    """A booking without the booking rules (the seat is the next free number)."""
    sync_seats(session, occurrence)
    taken = session.scalars(
        select(Booking.seat).where(Booking.session_id == occurrence.id, Booking.seat.is_not(None))
    ).all()
    seat = max(taken, default=0) + 1 if status == "booked" else None
    booking = Booking(session_id=occurrence.id, user_id=user.id, status=status, seat=seat)
    session.add(booking)
    session.flush()
    return booking


def enrol(
    session: Session,
    user: User,
    activity: Activity,
    *,
    status: str = "in_progress",
    started_at: datetime | None = None,
    current_lesson: Lesson | None = None,
) -> Enrolment:
    enrolment = Enrolment(
        user_id=user.id,
        activity_id=activity.id,
        status=status,
        started_at=started_at or utcnow(),
        current_lesson_id=current_lesson.id if current_lesson else None,
    )
    session.add(enrolment)
    session.flush()
    return enrolment


def save(session: Session, user: User, activity: Activity, *, at: datetime | None = None) -> None:
    session.add(SavedActivity(user_id=user.id, activity_id=activity.id, created_at=at or utcnow()))
    session.flush()


def many_activities(
    session: Session,
    n: int,
    *,
    department: Department | None = None,
    prefix: str = "massa",
    with_sessions: bool = True,
) -> list[int]:
    """`n` published activities inserted in bulk (aimed at `department` if given), with one
    upcoming session each; returns their ids."""
    now = utcnow()
    start = next(_seq) * 100_000
    rows = [
        {
            "slug": f"{prefix}-{start + i}",
            "title": f"Digital vardag {start + i}",
            "summary": "Kort om digital kompetens.",
            "body": "",
            "body_html": "",
            "quiz": [],
            "format": "workshop" if i % 2 else "nanolesson",
            "level": "grund",
            "delivery": "digital",
            "minutes": 10 + i % 50,
            "status": "published",
            "language": "sv",
            "is_repeatable": False,
            "created_at": now,
            "updated_at": now,
            "published_at": now - timedelta(minutes=i),
        }
        for i in range(n)
    ]
    session.execute(insert(Activity.__table__), rows)
    ids = list(
        session.scalars(select(Activity.id).where(Activity.slug.in_([row["slug"] for row in rows])))
    )
    if department is not None:
        session.execute(
            insert(activity_departments),
            [{"activity_id": i, "department_id": department.id} for i in ids],
        )
    if with_sessions:
        session.execute(
            insert(ActivitySession.__table__),
            [
                {
                    "activity_id": i,
                    "starts_at": now + timedelta(days=1 + i % 40),
                    "ends_at": now + timedelta(days=1 + i % 40, hours=2),
                    "place": "Stadsbiblioteket",
                    "capacity": 20,
                    "is_cancelled": False,
                    "sequence": 0,
                }
                for i in ids
            ],
        )
    session.flush()
    return ids
