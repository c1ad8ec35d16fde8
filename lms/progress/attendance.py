"""Attendance at a session: the owner marks attended, no-show and walk-ins in one go."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import User
from lms.catalog.models import ActivitySession
from lms.catalog.services import require_edit
from lms.core.errors import Conflict
from lms.core.i18n import _l
from lms.progress.bookings import lock_session, lowest_free_seat
from lms.progress.models import Booking, Completion
from lms.progress.services import record_completion
from lms.progress.signals import completion_removed
from lms.transfer.services import ask_for_missing_pre_tasks

WALK_IN_RESULTS = 20


@dataclass
class AttendanceResult:
    """What one submit of the attendance form did."""

    attended: int = 0
    no_show: int = 0
    walk_ins: int = 0


def occurrence_key(activity_session: ActivitySession) -> str:
    return f"session:{activity_session.id}"


def list_attendees(session: Session, activity_session: ActivitySession) -> list[Booking]:
    """The people holding a seat or marked as present, by name."""
    stmt = (
        select(Booking)
        .join(Booking.user)
        .where(
            Booking.session_id == activity_session.id,
            or_(Booking.status == "booked", Booking.attendance.is_not(None)),
        )
        .options(selectinload(Booking.user))
        .order_by(User.name, Booking.id)
    )
    return list(session.scalars(stmt))


def search_walk_in_candidates(session: Session, query: str) -> list[User]:
    """Active people matching a name or e-mail (people with protected identity never show)."""
    text = query.strip()
    if len(text) < 2:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = (
        select(User)
        .where(
            User.is_active.is_(True),
            User.is_protected_identity.is_(False),
            or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\")),
        )
        .order_by(User.name)
        .limit(WALK_IN_RESULTS)
    )
    return list(session.scalars(stmt))


def _credit(
    session: Session, owner: User, activity_session: ActivitySession, user: User
) -> Completion:
    """Credit the person's attendance; without the required pre-tasks it still counts (they
    were there) but is flagged, and they are asked to do the pre-tasks afterwards."""
    activity = activity_session.activity
    missing = ask_for_missing_pre_tasks(
        session, user, activity, occasion=occurrence_key(activity_session)
    )
    return record_completion(
        session,
        user,
        occurrence_key=occurrence_key(activity_session),
        activity=activity_session.activity,
        session_id=activity_session.id,
        title=activity_session.activity.title,
        minutes=activity_session.minutes,
        source="attendance",
        completed_at=activity_session.ends_at,
        verified_by_id=owner.id,
        is_pre_task_missing=missing,
    )


def _uncredit(session: Session, activity_session: ActivitySession, user_id: int) -> None:
    # A correction (attended → no-show) takes back only what attendance credited.
    credited = session.scalars(
        select(Completion).where(
            Completion.user_id == user_id,
            Completion.occurrence_key == occurrence_key(activity_session),
            Completion.source == "attendance",
        )
    ).all()
    for completion in credited:
        completion_removed.send(None, session=session, completion=completion)
        session.delete(completion)
    session.flush()


def _add_walk_in(
    session: Session, activity_session: ActivitySession, user: User, now: datetime
) -> Booking:
    """A person who came without a seat: they get a free seat if one is left.

    When the room was full they keep no seat (the database allows no more than the
    capacity), but are still marked as attended and credited.
    """
    booking = session.scalar(
        select(Booking).where(Booking.session_id == activity_session.id, Booking.user_id == user.id)
    )
    if booking is None:
        booking = Booking(session_id=activity_session.id, user_id=user.id, created_at=now)
    if booking.status != "booked":
        seat = lowest_free_seat(session, activity_session)
        booking.status, booking.seat = ("booked", seat) if seat else ("waitlisted", None)
        booking.is_walk_in = True
    session.add(booking)
    return booking


def mark_attendance(
    session: Session,
    owner: User,
    activity_session: ActivitySession,
    attended_ids: Collection[int],
    no_show_ids: Collection[int],
    walk_in_user_ids: Collection[int],
    *,
    now: datetime,
) -> AttendanceResult:
    """Record who came (user ids); attended people get a completion of the session's length."""
    require_edit(owner, activity_session.activity)
    if activity_session.starts_at > now:
        raise Conflict(_l("Attendance can be marked once the session has started."))
    lock_session(session, activity_session)
    result = AttendanceResult()
    by_user = {booking.user_id: booking for booking in list_attendees(session, activity_session)}
    for user in session.scalars(select(User).where(User.id.in_(set(walk_in_user_ids)))):
        if user.is_active and user.id not in by_user:
            by_user[user.id] = _add_walk_in(session, activity_session, user, now)
            result.walk_ins += 1
    session.flush()
    for user_id, booking in by_user.items():
        if user_id in attended_ids or (booking.is_walk_in and user_id in walk_in_user_ids):
            booking.attendance = "attended"
            _credit(session, owner, activity_session, booking.user)
            result.attended += 1
        elif user_id in no_show_ids:
            if booking.attendance == "attended":
                _uncredit(session, activity_session, user_id)
            booking.attendance = "no_show"
            result.no_show += 1
    session.flush()
    return result
